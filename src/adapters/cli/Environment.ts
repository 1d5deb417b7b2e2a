import { HelpDoc } from "@effect/cli"

/** The variables a group of commands reads, listed under each command's `--help`. */
export const storeVariables = [
  "TFPILOT_REQUESTS_BUCKET",
  "RUN_INDEX_DATA_DIR",
  "AWS_REGION",
  "AWS_ENDPOINT_URL_S3",
  "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
  "RUN_INDEX_S3_CONNECT_TIMEOUT",
  "RUN_INDEX_S3_REQUEST_TIMEOUT",
  "RUN_INDEX_LOCK_WAIT",
  "RUN_INDEX_LOG_FORMAT",
]
export const storeWritesVariables = [...storeVariables, "RUN_INDEX_RETENTION_DAYS"]
const githubVariables = [
  "GITHUB_API_URL",
  "GITHUB_TOKEN or GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY/GITHUB_APP_INSTALLATION_ID",
  "GITHUB_ACTOR",
]
export const dispatchingVariables = [
  ...storeWritesVariables,
  ...githubVariables,
  "RUN_INDEX_LANE_WINDOW",
  "RUN_INDEX_LANE_WAIT",
]
export const replayingVariables = [
  ...storeVariables,
  "RUN_INDEX_SPOOL_DIR",
  "RUN_INDEX_SPOOL_MAX_DELIVERIES",
  "RUN_INDEX_SPOOL_MAX_BYTES",
]
export const recoveringVariables = [...storeVariables, ...githubVariables, "RUN_INDEX_GITHUB_HOOK"]
export const sendingVariables = ["GITHUB_WEBHOOK_SECRET", "RUN_INDEX_DATA_DIR", "HOST", "PORT"]
export const reconcilingVariables = [...storeVariables, ...githubVariables]
export const servingVariables = [
  ...dispatchingVariables,
  "HOST",
  "PORT",
  "RUN_INDEX_API_TOKEN",
  "GITHUB_WEBHOOK_SECRET",
  "RUN_INDEX_GITHUB_HOOK",
  "RUN_INDEX_WEBHOOK_*, RUN_INDEX_REPLAY_INTERVAL, RUN_INDEX_RECOVER_*, RUN_INDEX_SPOOL_*, and the limits (README, Configuration)",
]

/** A command's description followed by the environment variables it reads. */
export const withEnvironment = (variables: ReadonlyArray<string>, description: string) =>
  HelpDoc.blocks([HelpDoc.p(description), HelpDoc.p(`Environment: ${variables.join(", ")}`)])
