import type { Llama, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { RbeeError } from "../protocol/errors.ts";
import type { Constraints } from "../protocol/constraints.ts";
import { loadEngine } from "./engine.ts";

/** Grammars parsed lately, by their source: agents send the same schema on every turn. */
const cache = new Map<string, Promise<LlamaGrammar>>();
const CACHE_SIZE = 32;

/**
 * The grammar a request's `format` or `grammar` asks for, or undefined. A schema or GBNF text
 * llama.cpp cannot use is the client's error (400 naming the field), found before a slot is taken.
 */
export async function grammarFor(llama: Llama, c: Constraints): Promise<LlamaGrammar | undefined> {
  if (c.format === undefined && c.grammar === undefined) return undefined;
  const key = JSON.stringify([c.format ?? null, c.grammar ?? null]);
  let grammar = cache.get(key);
  if (!grammar) {
    grammar = build(llama, c);
    cache.set(key, grammar);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
    grammar.catch(() => cache.delete(key));
  }
  return grammar;
}

/**
 * `format: "json"` (Ollama's, OpenAI's json_object): any JSON object. Written here rather than
 * taken from node-llama-cpp's grammar files: an engine built from source (the OpenMP CPU engine)
 * looks for them in a llama.cpp checkout the packed engine does not carry. Whitespace and number
 * lengths are bounded so that a model cannot wander in them forever.
 */
const ANY_JSON_OBJECT = String.raw`
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") space
object ::= "{" space (member ("," space member)*)? "}" space
member ::= string ":" space value
array  ::= "[" space (value ("," space value)*)? "]" space
string ::= "\"" (plain | "\\" (["\\/bfnrt] | "u" hex hex hex hex))* "\"" space
plain  ::= [^"\\\x00-\x1F\x7F]
hex    ::= [0-9a-fA-F]
number ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})? space
space  ::= ("\n" [ \t]{0,16} | " ")?
`;

async function build(llama: Llama, c: Constraints): Promise<LlamaGrammar> {
  if (c.grammar !== undefined) {
    try {
      return await llama.createGrammar({ grammar: c.grammar });
    } catch (err) {
      throw new RbeeError("INVALID_GRAMMAR", `grammar: llama.cpp cannot parse it: ${(err as Error).message}`, "Send GBNF text with a `root` rule.");
    }
  }
  if (c.format === "json") return llama.createGrammar({ grammar: ANY_JSON_OBJECT });
  try {
    // node-llama-cpp reads the schema keywords it knows (type, properties, required, enum, const,
    // oneOf, items, $defs/$ref, min/maxLength …); "$schema" and the like are left aside.
    return await llama.createGrammarForJsonSchema(anyOfAsOneOf(c.format) as never);
  } catch (err) {
    throw new RbeeError("INVALID_JSON_SCHEMA", `format: this JSON schema cannot become a grammar: ${(err as Error).message}`, "Use object, array, string, number, integer, boolean, enum, const, oneOf and $ref.");
  }
}

export type GrammarState = InstanceType<Awaited<ReturnType<typeof loadEngine>>["LlamaGrammarEvaluationState"]>;

/** A fresh evaluation state of `grammar`: one per generation, it tracks where the output stands. */
export async function grammarState(model: LlamaModel, grammar: LlamaGrammar): Promise<GrammarState> {
  const { LlamaGrammarEvaluationState } = await loadEngine();
  return new LlamaGrammarEvaluationState({ model, grammar });
}

/**
 * node-llama-cpp knows `oneOf` but not `anyOf`, which pydantic and zod write for optional and
 * union fields; for a grammar the two mean the same (some branch matches).
 */
function anyOfAsOneOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(anyOfAsOneOf);
  if (!schema || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k === "anyOf" ? "oneOf" : k] = anyOfAsOneOf(v);
  return out;
}
