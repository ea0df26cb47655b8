# Sourced by every guest script: markers for the host to read on the
# serial console. One write per line, so lines from several services do
# not mix. stderr is nitro's stderr: the console.
mark() { echo "VMTEST $*" >&2; }
