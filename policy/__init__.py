"""The Pulumi policy pack of the platform: ``pulumi preview --policy-pack policy`` (see PulumiPolicy.yaml)."""
