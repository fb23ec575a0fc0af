import { createMemoryStore } from '../../src/store/memory-store.js';
import { runStoreContract } from './contract.js';

runStoreContract('memory', () => createMemoryStore());
