"""Where modules come from: the resolver, the pip installer, the stand-ins for upstream ids."""
