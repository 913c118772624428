/* libprotobuf-c on c360's data, for the codec decision of issue 18: decoding the stored events and
 * projections that `c360 bench codec --dump DIR` measured, and encoding the projections and the
 * profiles' GetProfileResponses again, best of ROUNDS passes, in nanoseconds per item. Prints one
 * JSON line.
 *
 * Decoding here ends in protobuf-c's C structs; c360 would still have to turn them into Swift
 * values, which this does not count: it is the C library's own floor. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c360/v1/event.pb-c.h"
#include "c360/store/v1/projection.pb-c.h"
#include "c360/v1/profile_service.pb-c.h"

typedef struct {
    size_t count;
    size_t *lengths;
    uint8_t **data;
} Records;

static Records load(const char *path) {
    Records records = {0};
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)size);
    if (fread(bytes, 1, (size_t)size, file) != (size_t)size) { perror(path); exit(1); }
    fclose(file);
    size_t capacity = 1024;
    records.lengths = malloc(capacity * sizeof(size_t));
    records.data = malloc(capacity * sizeof(uint8_t *));
    for (long offset = 0; offset + 4 <= size;) {
        uint32_t length = (uint32_t)bytes[offset] | (uint32_t)bytes[offset + 1] << 8 | (uint32_t)bytes[offset + 2] << 16 | (uint32_t)bytes[offset + 3] << 24;
        offset += 4;
        if (records.count == capacity) {
            capacity *= 2;
            records.lengths = realloc(records.lengths, capacity * sizeof(size_t));
            records.data = realloc(records.data, capacity * sizeof(uint8_t *));
        }
        records.lengths[records.count] = length;
        records.data[records.count] = bytes + offset;
        records.count++;
        offset += length;
    }
    return records;
}

static uint64_t now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s DIR [ROUNDS]\n", argv[0]); return 2; }
    char path[4096];
    snprintf(path, sizeof path, "%s/events.bin", argv[1]);
    Records events = load(path);
    snprintf(path, sizeof path, "%s/projections.bin", argv[1]);
    Records projections = load(path);
    snprintf(path, sizeof path, "%s/profiles.bin", argv[1]);
    Records profiles = load(path);
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    uint64_t best_event = UINT64_MAX, best_projection = UINT64_MAX, best_encode = UINT64_MAX, best_profile = UINT64_MAX;
    uint64_t sink = 0;
    size_t differing = 0;
    C360__Store__V1__Projection **decoded = malloc(projections.count * sizeof *decoded);
    C360__V1__GetProfileResponse **responses = malloc(profiles.count * sizeof *responses);
    for (size_t i = 0; i < profiles.count; i++) {
        responses[i] = c360__v1__get_profile_response__unpack(NULL, profiles.lengths[i], profiles.data[i]);
        if (!responses[i]) { fprintf(stderr, "profile response %zu did not decode\n", i); return 1; }
    }
    uint8_t *buffer = malloc(1 << 20);
    for (int round = 0; round < rounds; round++) {
        uint64_t start = now_ns();
        for (size_t i = 0; i < events.count; i++) {
            C360__V1__Event *event = c360__v1__event__unpack(NULL, events.lengths[i], events.data[i]);
            if (!event) { fprintf(stderr, "event %zu did not decode\n", i); return 1; }
            sink += strlen(event->event_id);
            c360__v1__event__free_unpacked(event, NULL);
        }
        uint64_t elapsed = now_ns() - start;
        if (elapsed < best_event) best_event = elapsed;

        start = now_ns();
        for (size_t i = 0; i < projections.count; i++) {
            C360__Store__V1__Projection *projection = c360__store__v1__projection__unpack(NULL, projections.lengths[i], projections.data[i]);
            if (!projection) { fprintf(stderr, "projection %zu did not decode\n", i); return 1; }
            sink += projection->seq;
            c360__store__v1__projection__free_unpacked(projection, NULL);
        }
        elapsed = now_ns() - start;
        if (elapsed < best_projection) best_projection = elapsed;

        for (size_t i = 0; i < projections.count; i++) {
            decoded[i] = c360__store__v1__projection__unpack(NULL, projections.lengths[i], projections.data[i]);
        }
        start = now_ns();
        for (size_t i = 0; i < projections.count; i++) {
            size_t length = c360__store__v1__projection__pack(decoded[i], buffer);
            sink += length;
        }
        elapsed = now_ns() - start;
        if (elapsed < best_encode) best_encode = elapsed;
        /* Outside the timing: how many projections come out in other bytes than SwiftProtobuf's
         * (and c360's), which the replay digest would see. */
        differing = 0;
        for (size_t i = 0; i < projections.count; i++) {
            size_t length = c360__store__v1__projection__pack(decoded[i], buffer);
            if (length != projections.lengths[i] || memcmp(buffer, projections.data[i], length) != 0) differing++;
        }
        for (size_t i = 0; i < projections.count; i++) c360__store__v1__projection__free_unpacked(decoded[i], NULL);

        start = now_ns();
        for (size_t i = 0; i < profiles.count; i++) {
            sink += c360__v1__get_profile_response__pack(responses[i], buffer);
        }
        elapsed = now_ns() - start;
        if (elapsed < best_profile) best_profile = elapsed;
    }
    printf("{\"events\": %zu, \"projections\": %zu, \"event_decode_protobuf_c_ns\": %.1f, "
           "\"projection_decode_protobuf_c_ns\": %.1f, \"projection_encode_protobuf_c_ns\": %.1f, "
           "\"profile_encode_protobuf_c_ns\": %.1f, "
           "\"projections_encoded_differently_by_protobuf_c\": %zu, \"sink\": %llu}\n",
           events.count, projections.count, (double)best_event / (double)events.count,
           (double)best_projection / (double)projections.count, (double)best_encode / (double)projections.count,
           (double)best_profile / (double)(profiles.count ? profiles.count : 1),
           differing, (unsigned long long)(sink & 1));
    return 0;
}
