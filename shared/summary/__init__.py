"""The migration summary: field readers, top-k lists, the streaming builder and the summary API."""
