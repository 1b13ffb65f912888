# Sourced by bash before it runs a `bash -c` command line (BASH_ENV), while the lesson suite runs:
# appends that command line to $KIT_COMMAND_LOG. Both variables are unset at once, so only the
# outermost bash records: what a step's command starts in turn is not a command of the step.
if [ -n "${KIT_COMMAND_LOG:-}" ]; then
  printf '%s\0' "$BASH_EXECUTION_STRING" >> "$KIT_COMMAND_LOG"
  unset KIT_COMMAND_LOG BASH_ENV
fi
