/**
 * `simulate`, the CLI's one way into the simulation: its command is defined beside the simulation
 * (Simulate.ts), which loads the simulation itself only when the command runs.
 */
export { simulate as simulateCommand } from "../../simulation/cli/Simulate.js"
