"""`chipdoctor ops`: will a model's ATen operators run on the device of a vendor extension?

readers turn a model (.pt2, profiler trace, operator list, a recorded run) into operator counts;
data holds the vendors' per-release operator files (matrices/ops/); judge gives each operator
a status against one target release; render prints the result.
"""
