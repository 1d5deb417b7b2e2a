import { createHash, randomBytes } from "node:crypto"
import { hostname } from "node:os"
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import { Effect, Option } from "effect"
import { StoreError } from "../../../ports/StoreError.js"

// What the directory store's parts share: etags and versions from files, errors, temp-file names.

export const etagOf = (body: string) => `"${createHash("md5").update(body).digest("hex")}"`

/**
 * A file's version for conditional deletes, from what `stat` says: every write renames a new file
 * into place, so a rewrite changes the inode (and mtime); no body needs reading.
 */
export const versionOf = (info: FileSystem.File.Info) =>
  `${Option.getOrElse(info.ino, () => 0)}-${Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => mtime.getTime() })}-${info.size}`

/** How long ago the file was last written, by wall time (its mtime). */
export const ageMillis = (info: FileSystem.File.Info) =>
  Option.match(info.mtime, { onNone: () => 0, onSome: (mtime) => Date.now() - mtime.getTime() })

export const toStoreError =
  (operation: string, path: string) =>
  (error: PlatformError): StoreError => {
    const reason =
      error._tag === "SystemError"
        ? error.reason === "PermissionDenied"
          ? "AccessDenied"
          : error.reason === "Busy" || error.reason === "WouldBlock" || error.reason === "TimedOut"
            ? "Throttled"
            : "Unavailable"
        : "Unknown"
    return new StoreError({ reason, operation, detail: `${path}: ${error.message}`, cause: error })
  }

export const isReason = (error: PlatformError, reason: string) =>
  error._tag === "SystemError" && error.reason === reason

export const removeQuietly = (fs: FileSystem.FileSystem, file: string) =>
  fs.remove(file, { force: true }).pipe(Effect.ignore)

export const uniqueSuffix = () => randomBytes(6).toString("hex")

export const thisHost = hostname()
/** Names this host and process in temp-file names, so start-up can tell a dead writer's leftovers. */
const hostTag = createHash("sha256").update(thisHost).digest("hex").slice(0, 8)
const writerTag = `${hostTag}-${process.pid}`
const writerTagPattern = /\.([0-9a-f]{8})-([0-9]{1,10})\.[0-9a-f]+\.tmp$/

/** The name of a temp file beside the object `name`: a dot-file, naming this host and process. */
export const tempNameFor = (name: string) => `.${name}.${writerTag}.${uniqueSuffix()}.tmp`

export const processIsGone = (pid: number): boolean => {
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    // EPERM: it exists, and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "ESRCH"
  }
}

/** A temp file of a writer on this host whose process is gone: left by a crash, whatever its age. */
export const leftByGoneWriter = (name: string) => {
  const tag = writerTagPattern.exec(name)
  return tag !== null && tag[1] === hostTag && processIsGone(Number(tag[2]))
}
