def render_markdown(t): return ""
