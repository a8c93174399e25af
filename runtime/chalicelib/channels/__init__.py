"""Notification channels: email (SES), mobile push (SNS), the daily digest and the weekly clean-up."""
