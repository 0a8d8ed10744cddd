"""Selections for the customer: a chef sends 1–12 designs as one link, the customer picks one and answers."""
