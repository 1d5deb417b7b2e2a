#!/usr/bin/env node
import { runCli } from "./adapters/cli/Main.js"
import * as Service from "./app/Service.js"

runCli(Service.main)
