// Drives a gateway MCP endpoint with the official TypeScript SDK v1 client (handshake era), authenticated.
//
// usage: MCP_NODE_MODULES=<dir> node gateway_client.mjs URL TOKEN ECHO_TOOL
// Prints one JSON object: {"connected": true, "tools": [...names], "echo": <text of ECHO_TOOL("hello")>,
// "isError": bool} or {"connected": false, "errors": [...]}, as gateway_client.py does.

import { join } from "node:path";
import { pathToFileURL } from "node:url";

const sdk = (path) =>
  import(pathToFileURL(join(process.env.MCP_NODE_MODULES, "@modelcontextprotocol/sdk/dist/esm", path)).href);

async function run(url, token, echoTool) {
  const { Client } = await sdk("client/index.js");
  const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "gateway-e2e", version: "1.0.0" });
  try {
    await client.connect(transport);
    const tools = [];
    let cursor;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor);
    const echo = await client.callTool({ name: echoTool, arguments: { message: "hello" } });
    const text = echo.content.find((block) => block.type === "text");
    await transport.terminateSession();
    return { connected: true, tools: tools.sort(), echo: text ? text.text : null, isError: Boolean(echo.isError) };
  } catch (error) {
    return { connected: false, errors: [{ type: error.constructor.name, message: String(error.message) }] };
  } finally {
    await client.close();
  }
}

const [url, token, echoTool] = process.argv.slice(2);
console.log(JSON.stringify(await run(url, token, echoTool)));
