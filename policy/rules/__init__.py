"""The pack's rules, one module per concern; each module's ``POLICIES`` lists its rules."""
