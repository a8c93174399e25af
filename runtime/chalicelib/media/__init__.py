"""Media: photos and videos uploaded straight to S3, processed asynchronously into variants."""
