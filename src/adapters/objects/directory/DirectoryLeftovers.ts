import { opendir } from "node:fs/promises"
import { join } from "node:path"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Chunk, Effect, Option, Stream } from "effect"
import { ageMillis, leftByGoneWriter, removeQuietly } from "./DirectoryFiles.js"
import type { DirectoryLocks } from "./DirectoryLocks.js"

/** Every file or directory whose name starts with "." below `directory`, read a few entries at a time. */
async function* dotFilesBelow(directory: string): AsyncGenerator<string> {
  for await (const entry of await opendir(directory)) {
    const path = join(directory, entry.name)
    if (entry.name.startsWith(".")) yield path
    if (entry.isDirectory()) yield* dotFilesBelow(path)
  }
}

/**
 * Removes what writers that died left below `base`: stale locks (broken as any writer would break
 * them), and temp files, takeover markers and locks set aside that are stale or whose writer's
 * process is gone. Fresh ones may belong to another process working on the same directory. Never
 * fails: what it cannot look at is logged.
 */
export const removeLeftovers = (
  base: string,
  locks: Pick<DirectoryLocks, "inspectLock" | "breakStaleLock">,
  staleAfterMillis: number,
) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const pathApi = yield* Path.Path
    let removed = 0
    // Streamed one directory entry at a time (`opendir`): a store of a million entries must not
    // hold a million paths to find a few dot-files (a recursive read did: ~300 MB of RSS).
    const dotFiles = yield* Stream.runCollect(
      Stream.fromAsyncIterable(dotFilesBelow(base), (cause) => cause as NodeJS.ErrnoException),
    ).pipe(
      Effect.catchIf(
        (error) => error.code === "ENOENT",
        () => Effect.succeed(Chunk.empty<string>()),
      ),
    )
    for (const file of dotFiles) {
      const name = pathApi.basename(file)
      if (name.endsWith(".lock")) {
        const holder = yield* locks.inspectLock(file).pipe(Effect.orElseSucceed(() => Option.none()))
        if (Option.isSome(holder) && holder.value.stale) {
          yield* locks.breakStaleLock(file, holder.value.identity).pipe(Effect.ignore)
          removed += 1
        }
      } else if (name.endsWith(".tmp") || name.endsWith(".break") || name.endsWith(".stale")) {
        const info = yield* Effect.option(fs.stat(file))
        if (Option.isNone(info)) continue
        if (ageMillis(info.value) > staleAfterMillis || leftByGoneWriter(name)) {
          yield* removeQuietly(fs, file)
          removed += 1
        }
      }
    }
    if (removed > 0)
      yield* Effect.logInfo("directory store: removed files left by writers that died").pipe(
        Effect.annotateLogs({ removed }),
      )
  }).pipe(
    Effect.catchAll((error) =>
      Effect.logWarning("directory store: could not look for files left by writers that died").pipe(
        Effect.annotateLogs({ reason: error.message }),
      ),
    ),
  )
