/** Which adapter reads which source type: a new type is one adapter file and one line here. */
import type { SourceType } from '../../../schemas/source.js';
import { a2aAdapter } from './a2a.js';
import type { SourceAdapter } from './adapter.js';
import { htmlAdapter } from './html.js';
import { mcpRegistryAdapter } from './mcp-registry.js';

export const ADAPTERS: Readonly<Record<SourceType, SourceAdapter>> = {
  html: htmlAdapter,
  a2a: a2aAdapter,
  'mcp-registry': mcpRegistryAdapter,
};
