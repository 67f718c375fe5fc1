"""`chipdoctor fix`: the plan from a resolution, its steps per stack, and its renderers."""
