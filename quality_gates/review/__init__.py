"""Pull-request review: the PR (body, labels, author, reviews), its checklist, the template."""
