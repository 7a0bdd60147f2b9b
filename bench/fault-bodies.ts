/** Bodies no daemon should accept: malformed, oversized, random, and well-formed but wrong. */
export function badBodies(): (string | Uint8Array)[] {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
  const bodies: (string | Uint8Array)[] = [
    "",
    "{",
    "null",
    "[]",
    "42",
    '"just a string"',
    "{}",
    '{"operation":"launch_rockets"}',
    '{"operation":"infer"}',
    '{"operation":"infer","model":"../../etc/passwd","prompt":"x"}',
    '{"operation":"infer","model":"m","prompt":"x","max_tokens":-5}',
    '{"operation":"worker_spawn","hive_id":"a b","model":"m"}',
    '{"operation":"model_download","model":"\\u0000evil"}',
    '{"prompt":123}',
    '{"messages":"not a list"}',
    '{"prompt":"x","max_tokens":"many"}',
    JSON.stringify({ operation: "status", extra: true }),
    "x".repeat(2 * 1024 * 1024),
    JSON.stringify({ operation: "infer", model: "m", prompt: "y".repeat(3 * 1024 * 1024) }),
  ];
  for (let i = 0; i < 40; i++) bodies.push(randomBytes(1 + Math.floor(rand() * 4096)));
  return bodies;
}
