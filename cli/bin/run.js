#!/usr/bin/env node
// The `tiketi` executable: oclif finds the compiled commands through package.json `oclif`.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
