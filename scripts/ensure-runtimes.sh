# Source this file: it provides Deno and Bun, which the tests run generated policy modules in.
# Both come from the npm registry (their per-platform binary packages) into the git-ignored
# .tools/runtimes/ folder; nothing is installed system-wide.
DENO_PIN=2.9.6
BUN_PIN=1.4.5
AARM_ROOT=${AARM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RUNTIMES_DIR="$AARM_ROOT/.tools/runtimes"
export AARM_DENO="$RUNTIMES_DIR/node_modules/@deno/linux-x64-glibc/deno"
export AARM_BUN="$RUNTIMES_DIR/node_modules/@oven/bun-linux-x64/bin/bun"

if [ "$(uname -sm)" = "Linux x86_64" ] && { [ ! -x "$AARM_DENO" ] || [ ! -x "$AARM_BUN" ]; }; then
  echo "aarm: installing Deno $DENO_PIN and Bun $BUN_PIN into .tools/runtimes ..." >&2
  mkdir -p "$RUNTIMES_DIR"
  echo '{"name":"aarm-runtimes","private":true}' >"$RUNTIMES_DIR/package.json"
  npm install --prefix "$RUNTIMES_DIR" --no-save --no-audit --no-fund --loglevel=error \
    "@deno/linux-x64-glibc@$DENO_PIN" "@oven/bun-linux-x64@$BUN_PIN" >&2 ||
    echo "aarm: could not install Deno and Bun; the tests that run generated modules in them will fail" >&2
fi
