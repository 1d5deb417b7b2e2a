import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3"
import { Array as Arr, Chunk, Effect, Layer, Option, Schedule, Stream } from "effect"
import { type DeleteFailure, StoreError } from "../../ports/StoreError.js"
import {
  type DeleteTarget,
  ObjectStore,
  type Paging,
  pagingOf,
  type StoredObject,
  WriteCondition,
  WriteOutcome,
} from "./ObjectStore.js"
import { S3ClientService } from "./S3Client.js"
import * as S3Failure from "./S3Failure.js"

/**
 * A write that met a concurrent conflicting write to the same key (409) was not applied, and the
 * SDK does not retry a 409: try again a few times, briefly. 5xx and throttling the SDK retries itself.
 */
const writeConflictRetries = Schedule.exponential("50 millis").pipe(Schedule.intersect(Schedule.recurs(4)))

const conditionNotMet = (error: unknown, condition: WriteCondition): boolean =>
  Option.exists(
    S3Failure.decodeFailure(error),
    (failure) =>
      failure.name === "PreconditionFailed" ||
      failure.$metadata?.httpStatusCode === 412 ||
      // S3 answers If-Match on a missing key with 404 NoSuchKey: the object is not the one expected.
      (condition._tag === "IfMatch" && failure.name === "NoSuchKey"),
  )

const conditionHeaders = WriteCondition.$match({
  Always: () => ({}),
  IfAbsent: () => ({ IfNoneMatch: "*" }),
  IfMatch: ({ etag }) => ({ IfMatch: etag }),
})

const requireEtag = (etag: string | undefined): string => {
  if (etag === undefined) throw new Error("S3 answered without an ETag")
  return etag
}

/** A refused key of a conditional DeleteObjects whose ETag no longer matched. */
const changedSinceListed = (code: string | undefined) =>
  code === "PreconditionFailed" || code === "ConditionalRequestConflict"

/**
 * Objects in one S3 bucket (or an S3-compatible server), through the client in `S3ClientService`.
 * Listings fetch `pageSize` keys a call and batched deletes send `deleteBatchSize` keys a call (both
 * 1,000 by default, S3's maxima): one page is all a listing holds in memory.
 */
export const layer = (
  options: { readonly bucket: string } & Paging,
): Layer.Layer<ObjectStore, never, S3ClientService> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const client = yield* S3ClientService
      const { bucket } = options
      const { pageSize, deleteBatchSize } = pagingOf(options)

      /** Every SDK call goes through here, its location named as an S3 URL. */
      const call = <A>(operation: string, location: string, send: (signal: AbortSignal) => Promise<A>) =>
        S3Failure.call(operation, `s3://${bucket}/${location}`, send)

      // Untraced like RunIndexStore.get: the hot read path (bench "lookup").
      const get = Effect.fnUntraced(function* (path: string) {
        return yield* call("get", path, (signal) =>
          client.send(new GetObjectCommand({ Bucket: bucket, Key: path }), { abortSignal: signal }).then(
            async (response): Promise<Option.Option<StoredObject>> =>
              Option.some({
                body: (await response.Body?.transformToString("utf-8")) ?? "",
                etag: requireEtag(response.ETag),
              }),
            (error: unknown) => {
              if (S3Failure.hasCode(error, "NoSuchKey")) return Option.none()
              throw error
            },
          ),
        )
      })

      const put = Effect.fn("S3ObjectStore.put")(function* (
        path: string,
        body: string,
        condition: WriteCondition,
      ) {
        const command = new PutObjectCommand({
          Bucket: bucket,
          Key: path,
          Body: body,
          ContentType: "application/json",
          ServerSideEncryption: "AES256",
          ...conditionHeaders(condition),
        })
        return yield* call("put", path, (signal) =>
          client.send(command, { abortSignal: signal }).then(
            (response): WriteOutcome => WriteOutcome.Written({ etag: requireEtag(response.ETag) }),
            (error: unknown) => {
              // After a 5xx the SDK retries, so a conditional write that landed can come back as 412.
              if (conditionNotMet(error, condition)) return WriteOutcome.PreconditionFailed()
              throw error
            },
          ),
        ).pipe(
          Effect.retry({ schedule: writeConflictRetries, while: (error) => error.reason === "Conflict" }),
        )
      })

      const remove = Effect.fn("S3ObjectStore.delete")(function* (path: string) {
        yield* call("delete", path, (signal) =>
          client.send(new DeleteObjectCommand({ Bucket: bucket, Key: path }), { abortSignal: signal }).then(
            () => undefined,
            (error: unknown) => {
              if (S3Failure.hasCode(error, "NoSuchKey")) return undefined
              throw error
            },
          ),
        )
      })

      /**
       * One DeleteObjects call, each key with its listed ETag when it has one (S3 then deletes it
       * only if unchanged, and refuses it with `PreconditionFailed` otherwise). S3 reports refused
       * keys in the answer instead of failing the call.
       */
      const deleteBatch = (batch: ReadonlyArray<DeleteTarget>) =>
        call("deleteMany", `${batch[0]?.path} and ${batch.length - 1} more`, (signal) =>
          client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: {
                Objects: batch.map(({ path, version }) =>
                  version === undefined ? { Key: path } : { Key: path, ETag: version },
                ),
                Quiet: true,
              },
            }),
            { abortSignal: signal },
          ),
        ).pipe(
          Effect.map((response) =>
            (response.Errors ?? []).map(
              (refused): DeleteFailure => ({
                path: refused.Key ?? "",
                error: new StoreError({
                  reason: changedSinceListed(refused.Code)
                    ? "Conflict"
                    : S3Failure.reasonOfCode(refused.Code),
                  operation: "delete",
                  detail: S3Failure.withoutSecrets(
                    `s3://${bucket}/${refused.Key ?? ""}: ${refused.Code ?? "Error"}: ${refused.Message ?? ""}`,
                  ),
                }),
              }),
            ),
          ),
        )

      const removeMany = Effect.fn("S3ObjectStore.deleteMany")(function* (
        targets: ReadonlyArray<DeleteTarget>,
      ) {
        const refused = yield* Effect.forEach(Arr.chunksOf(targets, deleteBatchSize), deleteBatch)
        return refused.flat()
      })

      const listPage = Effect.fn("S3ObjectStore.listPage")(function* (
        prefix: string,
        continuationToken: string | undefined,
      ) {
        const page = yield* call("list", `${prefix}*`, (signal) =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              MaxKeys: pageSize,
              ContinuationToken: continuationToken,
            }),
            { abortSignal: signal },
          ),
        )
        const contents = page.Contents ?? []
        const incomplete = contents.find(
          (object) =>
            object.Key === undefined || object.LastModified === undefined || object.ETag === undefined,
        )
        if (incomplete !== undefined) {
          // A sweep judges age by LastModified and deletes by ETag: an object without them is not guessed at.
          return yield* new StoreError({
            reason: "Unknown",
            operation: "list",
            detail: `s3://${bucket}/${prefix}*: the listing gave ${JSON.stringify(incomplete.Key)} without its Key, LastModified or ETag`,
          })
        }
        const listed = contents.map((object) => ({
          path: object.Key!,
          lastModified: object.LastModified!.getTime(),
          version: object.ETag!,
        }))
        const next =
          page.IsTruncated === true ? Option.fromNullable(page.NextContinuationToken) : Option.none()
        return [Chunk.fromIterable(listed), next] as const
      })

      return ObjectStore.of({
        get,
        put,
        delete: remove,
        deleteMany: removeMany,
        list: (prefix) =>
          Stream.paginateChunkEffect(undefined as string | undefined, (continuationToken) =>
            listPage(prefix, continuationToken),
          ),
      })
    }),
  )
