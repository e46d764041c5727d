"""Knowledge-base pages: a read-only browser for everyone, import and review pages for admins."""
