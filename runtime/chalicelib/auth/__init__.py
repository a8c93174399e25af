"""Authentication: registration, confirmation, sign-in and refresh against Cognito."""
