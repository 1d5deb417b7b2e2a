#!/usr/bin/env node
import { runCli } from "./adapters/cli/Main.js"
import * as Cli from "./app/Cli.js"

runCli(Cli.main(process.argv))
