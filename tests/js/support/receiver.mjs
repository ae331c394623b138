// A receiver for status callbacks on a free loopback port: records every request it gets
// (method, path, headers, body) and answers 200.
import { createServer } from "node:http";

/** Starts one; resolves to `{ base, port, received, close }`. */
export async function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method, path: req.url, headers: req.headers, body });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { base: `http://127.0.0.1:${port}`, port, received, close: () => new Promise((resolve) => server.close(resolve)) };
}
