"""The end of an account's life (issue 21): taking every design along (a streamed ZIP) and deleting the account.
The password-reset and confirmation links themselves live in `accounts.recovery`; their REST routes and pages are
here, with the rest of the lifecycle edge."""
