"""LTI 1.3: the LMS as a tool that Moodle, Canvas and other learning platforms launch."""
