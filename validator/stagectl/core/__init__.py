"""The pure core: stages, model files, the policy, the rules and the judge. No I/O; imports nothing above it."""
