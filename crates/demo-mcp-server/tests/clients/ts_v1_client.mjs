// Drives the demo server with the TypeScript SDK v1 client (@modelcontextprotocol/sdk 1.x,
// handshake era only) and reports what it saw.
//
// usage: node ts_v1_client.mjs NODE_MODULES URL
// Prints one JSON object: the negotiated version, the tool names and an echo call's result.

import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, url] = process.argv.slice(2);
const sdk = (path) =>
  import(pathToFileURL(join(nodeModules, "@modelcontextprotocol/sdk/dist/esm", path)).href);

const { Client } = await sdk("client/index.js");
const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");

const client = new Client({ name: "demo-mcp-server-test", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(new URL(url));
await client.connect(transport);
const tools = await client.listTools();
const echo = await client.callTool({ name: "echo", arguments: { message: "from typescript" } });
const report = {
  sessionId: transport.sessionId ?? null,
  protocolVersion: transport.protocolVersion ?? null,
  serverName: client.getServerVersion()?.name ?? null,
  tools: tools.tools.map((tool) => tool.name),
  echo,
};
await transport.terminateSession();
await client.close();
console.log(JSON.stringify(report));
