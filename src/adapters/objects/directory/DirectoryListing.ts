import { readdir } from "node:fs/promises"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Effect, Option, Stream } from "effect"
import { StoreError } from "../../../ports/StoreError.js"
import type { ListedObject } from "../ObjectStore.js"
import { isReason, versionOf } from "./DirectoryFiles.js"

/**
 * The directory store's `list`: the files below `base` in key order, as a bucket lists its keys,
 * `pageSize` to a chunk. Dot-files (the store's own temp files and locks) are never listed.
 */
export const makeDirectoryListing = (base: string, pageSize: number) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const pathApi = yield* Path.Path

    /** A file's listing facts, or `None` when it is gone, unreadable or a link to a directory. */
    const statFile = (relative: string, name: string) =>
      fs.stat(pathApi.join(base, relative, name)).pipe(
        Effect.map((info) =>
          // A link to a directory is not followed: it could lead back up, and keys are real files
          // in real directories (those the directory read named as directories).
          info.type === "Directory"
            ? Option.none<ListedObject>()
            : Option.some({
                path: relative === "" ? name : `${relative}/${name}`,
                lastModified: Option.getOrElse(
                  Option.map(info.mtime, (mtime) => mtime.getTime()),
                  () => 0,
                ),
                version: versionOf(info),
              }),
        ),
        // One entry that cannot be read (a symlink loop, a dangling link, removed since the
        // directory was read) is left out, not the failure of the whole listing.
        Effect.catchAll((error) =>
          isReason(error, "NotFound")
            ? Effect.succeedNone
            : Effect.as(
                Effect.logWarning("directory store: an entry that cannot be read is left out").pipe(
                  Effect.annotateLogs({
                    entry: relative === "" ? name : `${relative}/${name}`,
                    reason: error.message,
                  }),
                ),
                Option.none(),
              ),
        ),
      )

    /**
     * The names in `relative` in key order (a directory sorts as `name/`, as its keys do in a
     * bucket), and which are directories. `@effect/platform` reads names only; the types come
     * from `readdir` with file types, so files need no `stat` until their page is listed.
     */
    const readFolder = (relative: string) =>
      Effect.tryPromise({
        try: () => readdir(pathApi.join(base, relative), { withFileTypes: true }),
        catch: (cause) => cause as NodeJS.ErrnoException,
      }).pipe(
        Effect.map((entries) => {
          const directories = new Set<string>()
          const names: Array<string> = []
          for (const each of entries) {
            if (each.name.startsWith(".")) continue
            names.push(each.name)
            if (each.isDirectory()) directories.add(each.name)
          }
          const sortKey = (name: string) => (directories.has(name) ? `${name}/` : name)
          names.sort((left, right) => {
            const [a, b] = [sortKey(left), sortKey(right)]
            return a < b ? -1 : a > b ? 1 : 0
          })
          return { names, directories }
        }),
        Effect.catchIf(
          (error) => error.code === "ENOENT",
          () => Effect.succeed({ names: [] as Array<string>, directories: new Set<string>() }),
        ),
        Effect.mapError(
          (cause) =>
            new StoreError({
              reason: cause.code === "EACCES" || cause.code === "EPERM" ? "AccessDenied" : "Unavailable",
              operation: "list",
              detail: `${relative}: ${cause.message}`,
              cause,
            }),
        ),
      )

    /**
     * Files below `relative` in key order: one folder's names at a time, files stat'ed a page at a
     * time as the stream reaches them, so a folder of 200,000 entries holds their names, not their facts.
     */
    const walk = (relative: string): Stream.Stream<ListedObject, StoreError> =>
      Stream.unwrap(
        Effect.map(readFolder(relative), ({ names, directories }) => {
          const segments: Array<{ readonly directory: string } | { readonly files: Array<string> }> = []
          let files: Array<string> = []
          for (const name of names) {
            if (directories.has(name)) {
              if (files.length > 0) segments.push({ files })
              files = []
              segments.push({ directory: name })
            } else {
              files.push(name)
              if (files.length === pageSize) {
                segments.push({ files })
                files = []
              }
            }
          }
          if (files.length > 0) segments.push({ files })
          return Stream.fromIterable(segments).pipe(
            Stream.flatMap((segment) =>
              "directory" in segment
                ? walk(relative === "" ? segment.directory : `${relative}/${segment.directory}`)
                : Stream.fromIterableEffect(
                    Effect.map(
                      Effect.forEach(segment.files, (name) => statFile(relative, name), {
                        concurrency: 16,
                      }),
                      (listed) => listed.flatMap(Option.toArray),
                    ),
                  ),
            ),
          )
        }),
      )

    return (prefix: string) => {
      const folder = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : ""
      return walk(folder).pipe(
        Stream.filter((listed) => listed.path.startsWith(prefix)),
        Stream.rechunk(pageSize),
      )
    }
  })
