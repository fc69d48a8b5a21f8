#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping): no build step. The compile
// cache keeps the compiled modules on disk, which halves the start of every later command.
import module from 'node:module';

module.enableCompileCache?.();
await import('../src/cli/main.ts');
