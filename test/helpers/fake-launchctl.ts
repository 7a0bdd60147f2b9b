/**
 * A stand-in for macOS's launchctl, enough for rbee's launchd agent: `print gui/UID` (the GUI
 * domain exists), `print gui/UID/LABEL` (pid while the agent's process runs), `bootstrap
 * gui/UID PLIST` (runs the plist's ProgramArguments with its output to StandardOutPath) and
 * `bootout gui/UID/LABEL` (stops the process and unloads). Its state is in ~/.fakelaunchd;
 * a file `refuse` there makes bootstrap fail as it does without a GUI session.
 */
export const FAKE_LAUNCHCTL = String.raw`st="$HOME/.fakelaunchd"; mkdir -p "$st"
alive() { [ -f "$st/pid" ] && kill -0 "$(cat "$st/pid")" 2>/dev/null; }
case "$1" in
  print)
    case "$2" in
      gui/*/*) [ -f "$st/loaded" ] || exit 113; echo "$2 = {"; alive && printf '\tpid = %s\n' "$(cat "$st/pid")"; echo "}" ;;
      gui/*) exit 0 ;;
      *) exit 113 ;;
    esac ;;
  bootstrap)
    [ -f "$st/refuse" ] && { echo "Bootstrap failed: 125: Domain does not support specified action" >&2; exit 125; }
    [ -f "$st/loaded" ] && { echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; }
    prog=$(sed -n 's|.*<key>ProgramArguments</key><array><string>/bin/sh</string><string>\(.*\)</string></array>.*|\1|p' "$3")
    log=$(sed -n 's|.*<key>StandardOutPath</key><string>\(.*\)</string>.*|\1|p' "$3")
    [ -n "$prog" ] && [ -n "$log" ] || { echo "Bootstrap failed: 22: Invalid argument" >&2; exit 22; }
    cp "$3" "$st/loaded"; mkdir -p "$(dirname "$log")"
    nohup /bin/sh "$prog" >> "$log" 2>&1 < /dev/null &
    echo $! > "$st/pid" ;;
  bootout)
    [ -f "$st/loaded" ] || exit 3
    if alive; then p=$(cat "$st/pid"); kill "$p"; i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; fi
    rm -f "$st/loaded" "$st/pid" ;;
  *) exit 64 ;;
esac
`;
