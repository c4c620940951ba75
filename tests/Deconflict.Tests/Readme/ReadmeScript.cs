using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Deconflict.Tests.Readme;

/// <summary>
/// Turns README blocks into bash scripts that run unattended: the same commands a reader types,
/// with a server in the foreground started in the background, long-running commands stopped after
/// their first output, and every loopback port replaced by a free one.
/// </summary>
public sealed partial class ReadmeScript
{
    /// <summary>The functions every block's script can call (see ReadmeCommandTests).</summary>
    public const string Prelude = """
        # Stops the servers earlier blocks started (SIGTERM: a clean shutdown releases the database's lock).
        readme_stop_servers() {
          [ -s "$README_PIDS" ] || return 0
          local pid
          for pid in $(cat "$README_PIDS"); do kill -TERM "$pid" 2>/dev/null || true; done
          for pid in $(cat "$README_PIDS"); do readme_wait_gone "$pid"; done
          : > "$README_PIDS"
        }

        readme_wait_gone() {
          local n=0
          while kill -0 "$1" 2>/dev/null && [ $n -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
          kill -KILL "$1" 2>/dev/null || true
        }

        # A server in the foreground of a reader's terminal: started in the background (after
        # stopping the one before, as a reader would), and waited for on /healthz.
        readme_serve() {
          readme_stop_servers
          local url="" prev="" arg
          for arg in "$@"; do [ "$prev" = "--urls" ] && url="$arg"; prev="$arg"; done
          local args=("$@")
          if [ -z "$url" ]; then url="$README_DEFAULT_URL"; args+=(--urls "$url"); fi
          local log
          log=$(mktemp "$README_HARNESS/serve-XXXX.log")
          "${args[@]}" >"$log" 2>&1 </dev/null &
          local pid=$! n=0
          echo "$pid" >> "$README_PIDS"
          while [ $n -lt 900 ]; do
            if ! kill -0 "$pid" 2>/dev/null; then
              echo "readme-test: the server exited before $url/healthz answered:" >&2; cat "$log" >&2; return 1
            fi
            if curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; then cat "$log"; return 0; fi
            sleep 0.1; n=$((n + 1))
          done
          echo "readme-test: $url/healthz did not answer in 90 s:" >&2; cat "$log" >&2; return 1
        }

        # A command that runs until stopped (--follow, events follow, alerts follow, feed, curl -N): run until it has
        # printed something and 3 s more, then interrupted as by Ctrl+C. It fails if it ended by
        # itself with an error, printed nothing in 60 s, or printed a stack trace; a deconflict verb
        # that follows a stream must also have printed its first line on stdout and nothing on
        # stderr but, under --json, its status lines (feed and curl write their progress there).
        readme_long() {
          local out err
          out=$(mktemp "$README_HARNESS/long-XXXX.out"); err=$(mktemp "$README_HARNESS/long-XXXX.err")
          # Job control on while it starts: a background job of a script otherwise ignores SIGINT.
          set -m
          "$@" >"$out" 2>"$err" </dev/null &
          local pid=$! n=0 rc=0
          set +m
          while kill -0 "$pid" 2>/dev/null && [ ! -s "$out" ] && [ ! -s "$err" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
          n=0
          while kill -0 "$pid" 2>/dev/null && [ $n -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
          if kill -0 "$pid" 2>/dev/null; then
            kill -INT "$pid" 2>/dev/null || true
            readme_wait_gone "$pid"
            wait "$pid" 2>/dev/null || true
          else
            wait "$pid" || rc=$?
          fi
          cat "$out"; cat "$err" >&2
          if [ $rc -ne 0 ]; then echo "readme-test: '$*' ended by itself with exit $rc" >&2; return "$rc"; fi
          if [ ! -s "$out" ] && [ ! -s "$err" ]; then echo "readme-test: '$*' printed nothing in 60 s" >&2; return 1; fi
          if grep -qE '^ +at |Exception' "$out" "$err"; then echo "readme-test: '$*' printed a stack trace" >&2; return 1; fi
          case " $* " in
            *" --follow "*|*" events follow "*|*" alerts follow "*)
              # Under --json the follower's status lines go to stderr, by design.
              if [ ! -s "$out" ] || { [ -s "$err" ] && [[ " $* " != *" --json "* ]]; }; then echo "readme-test: '$*' printed no first line on stdout, or printed on stderr" >&2; return 1; fi
              echo "readme-test: first line: $(head -n 1 "$out")" >&2 ;;
          esac
        }
        """;

    private readonly Dictionary<string, int> _ports = new(StringComparer.Ordinal);

    /// <summary>The URL a <c>serve</c> without <c>--urls</c> is given: its default port, replaced like the others.</summary>
    public string DefaultUrl => $"http://127.0.0.1:{Port("8080")}";

    /// <summary>The block as a script: each line as written, but for the rewrites in the class summary.</summary>
    public string Rewrite(string code)
    {
        var text = DotnetRun().Replace(code, "deconflict ");
        text = LoopbackPort().Replace(text, m => $"{m.Groups[1].Value}:{Port(m.Groups[2].Value)}");
        var lines = text.Split('\n');
        var script = new StringBuilder();
        var continued = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (!continued)
            {
                var command = line.TrimStart();
                var logical = command;
                for (var j = i; lines[j].TrimEnd().EndsWith('\\') && j + 1 < lines.Length; j++)
                {
                    logical += " " + lines[j + 1].Trim();
                }

                // Leading assignments (VAR=value deconflict serve) go through env, since the wrappers
                // are functions that run their arguments as the command.
                var assignments = Assignments().Match(command).Length;
                var (program, env) = (command[assignments..], assignments > 0 ? "env " : string.Empty);
                if (program.StartsWith("deconflict serve", StringComparison.Ordinal))
                {
                    line = "readme_serve " + env + command;
                }
                else if ((program.StartsWith("deconflict ", StringComparison.Ordinal) || program.StartsWith("curl ", StringComparison.Ordinal)) && LongRunning().IsMatch(logical[assignments..]))
                {
                    line = "readme_long " + env + command;
                }
            }

            continued = line.TrimEnd().EndsWith('\\');
            script.Append(line).Append('\n');
        }

        return script.ToString();
    }

    private int Port(string written)
    {
        if (!_ports.TryGetValue(written, out var port))
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _ports[written] = port;
        }

        return port;
    }

    // `dotnet run --project src/Deconflict -- ARGS` is the same command as `deconflict ARGS`, relative
    // paths included (issue 16, scope 1); the test runs the built one instead of building again.
    [GeneratedRegex(@"dotnet run --project src/Deconflict -- ")]
    private static partial Regex DotnetRun();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*=(""[^""]*""|'[^']*'|\S+)\s+)+")]
    private static partial Regex Assignments();

    [GeneratedRegex(@"\b(127\.0\.0\.1|localhost):(\d{2,5})\b")]
    private static partial Regex LoopbackPort();

    [GeneratedRegex(@"(\s--follow\b|^deconflict (events|alerts) follow\b|^deconflict feed\b|^curl (.* )?-N\b)")]
    private static partial Regex LongRunning();
}
