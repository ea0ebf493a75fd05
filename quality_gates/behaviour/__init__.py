"""The behaviour-change gate's parts: its policy, the two trees it builds, the test re-run."""
