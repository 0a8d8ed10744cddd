#!/bin/sh
# One-shot run by the `minio-setup` service (minio/mc image): creates the private bucket and the application's own
# key, limited to that bucket, so the app never holds the MinIO root credentials. Safe to re-run on every `up`.
set -eu

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "local/$S3_BUCKET"
# Private: browsers only ever get short-lived presigned URLs.
mc anonymous set none "local/$S3_BUCKET"

cat > /tmp/tortodelova-app.json <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::$S3_BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": ["arn:aws:s3:::$S3_BUCKET/*"]}
  ]
}
POLICY
mc admin policy create local tortodelova-app /tmp/tortodelova-app.json
# `user add` on an existing user updates its secret, so rotating S3_SECRET_KEY in .env takes effect here.
mc admin user add local "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
if ! out="$(mc admin policy attach local tortodelova-app --user "$S3_ACCESS_KEY" 2>&1)"; then
    case "$out" in
        *"already in effect"*) ;;  # attached by an earlier run
        *) echo "$out" >&2; exit 1 ;;
    esac
fi
echo "minio-setup: bucket $S3_BUCKET and key $S3_ACCESS_KEY ready"
