/** `sandbox schema`: print a JSON Schema of the wire format, for editors and other tools. */
import { networkJsonSchema } from "@sandbox/core";
import { CliError, type Command } from "../command.js";
import { Exit } from "../exit-codes.js";

const schemas: Record<string, unknown> = {
  network: networkJsonSchema,
};

/** The `schema` command. */
export const schemaCommand: Command = {
  name: "schema",
  summary: "Print the JSON Schema (2020-12) of the network config, for editors",
  usage: "sandbox schema [network]",
  description: "Prints the JSON Schema that the network config is validated against. Point a config's `$schema` at the saved file for editor completion and validation.",
  examples: ["sandbox schema > network.schema.json", "sandbox schema network"],
  options: {},
  async run({ positionals, out }) {
    const name = positionals[0] ?? "network";
    const schema = schemas[name];
    if (!schema) throw new CliError(`unknown schema "${name}"; available: ${Object.keys(schemas).join(", ")}`, Exit.usage);
    out.json(schema);
    return Exit.ok;
  },
};
