#!/usr/bin/env node
// kubectl plugin entry point: `kubectl kcr checkpoint ...` runs `kcr checkpoint ...`.
import './kcr.js';
