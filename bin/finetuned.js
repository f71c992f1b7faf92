#!/usr/bin/env node
// The `finetuned` command. The package runs from its TypeScript source: tsx's loader is registered first.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
