/**
 * CLI for manual tries: `node dist/src/fake-openai/main.js --port 8089 [--latency-ms 200]
 * [--api-key KEY] [--fault-rate 0.2] [--seed 1]`. Prints the base URL and logs each request on stderr.
 */
import { parseArgs } from 'node:util';
import { ENGINE_MODES, type EngineMode } from './engines.js';
import { startFakeOpenAI } from './server.js';

const USAGE = `Usage: node dist/src/fake-openai/main.js [--port 8089] [--mode openai] [--latency-ms 0] [--api-key KEY] [--fault-rate 0] [--seed 1]
A fake OpenAI-compatible chat-completions server on 127.0.0.1 for tests and demos (never a real model).
  --port N          port, 0 picks a free one (default 8089); the base URL is printed on stdout
  --mode M          behave like openai (default), azure, vllm, llamacpp or ollama, limits included
  --latency-ms MS   delay before each answer (default 0)
  --api-key KEY     answer 401 unless requests carry this key (default: any key)
  --fault-rate R    share of requests, 0..1, answered with 429, 500, schema-breaking or truncated bodies
  --seed N          seed of the fault sequence (default 1)
`;

// A typo or --help would otherwise end in an ERR_PARSE_ARGS stack trace.
const parsed = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '8089' },
        mode: { type: 'string', default: 'openai' },
        'latency-ms': { type: 'string', default: '0' },
        'api-key': { type: 'string' },
        'fault-rate': { type: 'string', default: '0' },
        seed: { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
})();
const { values } = parsed;
if (values.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const numberOption = (name: string, raw: string): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`Expected --${name} to be a number from 0 up, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
};

if (!(ENGINE_MODES as readonly string[]).includes(values.mode)) {
  process.stderr.write(`Expected --mode to be one of ${ENGINE_MODES.join(', ')}, got ${JSON.stringify(values.mode)}\n`);
  process.exit(2);
}
const faultRate = numberOption('fault-rate', values['fault-rate']);
const share = faultRate / 4;
const server = await startFakeOpenAI({
  port: numberOption('port', values.port),
  mode: values.mode as EngineMode,
  latencyMs: numberOption('latency-ms', values['latency-ms']),
  ...(values['api-key'] === undefined ? {} : { expectedApiKey: values['api-key'] }),
  faults:
    faultRate > 0
      ? {
          random: {
            seed: numberOption('seed', values.seed),
            rates: { 'rate-limit': share, 'server-error': share, 'schema-break': share, 'truncated-body': share },
          },
        }
      : {},
});
process.stdout.write(`${server.baseUrl}\n`);

let seen = 0;
const timer = setInterval(() => {
  for (const entry of server.requestLog.slice(seen)) {
    process.stderr.write(
      `${entry.seq} ${entry.method} ${entry.path} -> ${entry.status}${entry.fault ? ` (${entry.fault})` : ''}${
        entry.listingId ? ` listing=${entry.listingId}` : ''
      }\n`,
    );
  }
  seen = server.requestLog.length;
}, 250);

const stop = (): void => {
  clearInterval(timer);
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
