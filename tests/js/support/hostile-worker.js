// The bad-input table in workerd: this worker runs it when asked (hostile-workerd.mjs
// stages it with the package and the table next to it).
import * as api from "plivo-verify-wasm";
import { runTable } from "./bad-input-table.js";

export default {
  async fetch() {
    return Response.json({ runtime: "workerd", ...(await runTable(api)) });
  },
};
