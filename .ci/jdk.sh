# Sourced by the .ci scripts: exports JAVA_HOME and PATH for the newest JDK >= 21 on this machine.

# Prints the major version of the java binary given, or nothing if it does not run.
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ { print $2 }' | cut -d. -f1
}

# The newest JDK >= 21 among JAVA_HOME, the java on PATH and the usual install folders.
pick_jdk() {
  local best="" best_major=0 home major
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for home in /usr/lib/jvm/* /opt/java/* /opt/jdk* /Library/Java/JavaVirtualMachines/*/Contents/Home \
              "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$home" ] && candidates+=("$home")
  done
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    major=$(java_major "$home/bin/java")
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$home"; best_major="$major"
    fi
  done
  [ -n "$best" ] || { echo "No JDK >= 21 found (looked at JAVA_HOME, PATH and /usr/lib/jvm); install one." >&2; return 1; }
  echo "$best"
}

JAVA_HOME="$(pick_jdk)"
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
