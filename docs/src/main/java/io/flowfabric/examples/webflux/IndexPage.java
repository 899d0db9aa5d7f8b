package io.flowfabric.examples.webflux;

/** The example's one page: create executions, and watch completions and an execution's frames arrive. */
final class IndexPage {

    private IndexPage() {
    }

    static final String HTML = """
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>FlowFabric WebFlux example</title>
              <style>
                body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; max-width: 60em; }
                pre { background: #f4f4f4; padding: .5em; min-height: 4em; white-space: pre-wrap; }
              </style>
            </head>
            <body>
              <h1>FlowFabric WebFlux example</h1>
              <p><input id="input" size="40" value="hello, flowfabric"> <button id="go">POST /executions</button></p>
              <h2>Frames of the last execution (<code>GET /executions/{id}/attempts/0/stream</code>)</h2>
              <pre id="frames"></pre>
              <h2>Completions (<code>GET /completions</code>)</h2>
              <pre id="completions"></pre>
              <script>
                const show = (id, line) => document.getElementById(id).textContent += line + "\\n";
                new EventSource("/completions").addEventListener("completion", e => {
                  const c = JSON.parse(e.data);
                  show("completions", c.occurredAt + "  " + c.outcome + "  " + c.executionId);
                });
                document.getElementById("go").onclick = async () => {
                  const response = await fetch("/executions", { method: "POST", headers: { "Content-Type": "text/plain" },
                      body: document.getElementById("input").value });
                  const created = await response.json();
                  document.getElementById("frames").textContent = "";
                  show("frames", "created " + created.executionId + " (" + created.state + ")");
                  const frames = new EventSource(created.stream);
                  frames.addEventListener("event", e => show("frames", e.lastEventId + "  " + e.data));
                  frames.addEventListener("end", e => {
                    show("frames", "stream closed: " + e.data);
                    frames.close();
                  });
                };
              </script>
            </body>
            </html>
            """;
}
