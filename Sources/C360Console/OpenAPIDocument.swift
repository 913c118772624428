/// The OpenAPI 3.0 description of the JSON read API, served at `/api/v1/openapi.json`. Each body
/// is the protobuf JSON mapping of the gRPC message named in its description (`proto/`), with
/// the field names as written there; 64-bit integers are strings, as that mapping writes them.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "c360 JSON read API",
            "version": "1",
            "description": "Customer profiles, timelines and segments from c360, without gRPC. Each response is the protobuf JSON mapping of the gRPC response message of the same call (proto/c360/v1/profile_service.proto), field names as in the .proto files. Authorization: `Authorization: Bearer <token>` with the same scopes as the gRPC API (read; read:pii for personal fields), or a console session."
          },
          "servers": [{ "url": "/" }],
          "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "parameters": {
              "customer": { "name": "customer", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The customer id." },
              "as_of": { "name": "as_of", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "Evaluate the profile as of this time (RFC 3339); now when absent." },
              "min_seq": { "name": "min_seq", "in": "query", "schema": { "type": "string", "pattern": "^[0-9]+$" }, "description": "Wait until the store has reached this log position (read your own writes)." }
            },
            "schemas": {
              "Error": {
                "type": "object", "required": ["error"],
                "properties": { "error": { "type": "object", "required": ["code", "message"],
                  "properties": { "code": { "type": "string", "example": "NOT_FOUND" }, "message": { "type": "string" }, "field": { "type": "string" } } } }
              },
              "GetProfileResponse": {
                "type": "object", "description": "c360.v1.GetProfileResponse: the profile (c360.v1.Profile) evaluated as of a time.",
                "properties": { "profile": { "type": "object", "additionalProperties": true,
                  "properties": { "customer_id": { "type": "string" }, "seq": { "type": "string" }, "event_count": { "type": "string" },
                    "details": { "type": "object", "additionalProperties": true }, "purchases": { "type": "object", "additionalProperties": true },
                    "activity": { "type": "object", "additionalProperties": true }, "support": { "type": "object", "additionalProperties": true },
                    "recent": { "type": "object", "additionalProperties": true }, "derived": { "type": "object", "additionalProperties": true },
                    "identities": { "type": "array", "items": { "type": "object", "additionalProperties": true } },
                    "personal_data_redacted": { "type": "boolean" } } } }
              },
              "GetTimelineResponse": {
                "type": "object", "description": "c360.v1.GetTimelineResponse: events newest first (c360.v1.LoggedEvent), and the token of the next page.",
                "properties": { "events": { "type": "array", "items": { "type": "object", "additionalProperties": true,
                    "properties": { "seq": { "type": "string" }, "event": { "type": "object", "additionalProperties": true } } } },
                  "next_page_token": { "type": "string" }, "personal_data_redacted": { "type": "boolean" } }
              },
              "SegmentList": {
                "type": "object",
                "properties": { "segments": { "type": "array", "items": { "type": "object",
                    "properties": { "name": { "type": "string" }, "description": { "type": "string" },
                      "conditions": { "type": "array", "items": { "type": "string" } }, "members": { "type": "number" } } } },
                  "evaluated_day": { "type": "string", "format": "date" } }
              },
              "ListSegmentResponse": {
                "type": "object", "description": "c360.v1.ListSegmentResponse: a page of member customer ids.",
                "properties": { "customer_ids": { "type": "array", "items": { "type": "string" } }, "next_page_token": { "type": "string" },
                  "evaluated_day": { "type": "string" } }
              }
            },
            "responses": {
              "Error": { "description": "The request was refused or failed: 400 invalid, 401 no or unknown token, 403 scope missing, 404 not found, 410 erased, 429 over a limit, 503 unavailable.",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
          },
          "security": [{ "bearer": [] }],
          "paths": {
            "/api/v1/customers/{customer}": {
              "get": { "operationId": "getProfile", "summary": "A customer's profile (GetProfile).",
                "parameters": [{ "$ref": "#/components/parameters/customer" }, { "$ref": "#/components/parameters/as_of" }, { "$ref": "#/components/parameters/min_seq" }],
                "responses": { "200": { "description": "The profile.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/GetProfileResponse" } } } },
                  "default": { "$ref": "#/components/responses/Error" } } }
            },
            "/api/v1/customers": {
              "get": { "operationId": "getProfileByIdentity", "summary": "The profile of whoever an identity points at (GetProfile by identity): give exactly one identity.",
                "parameters": [
                  { "name": "email", "in": "query", "schema": { "type": "string" } },
                  { "name": "phone", "in": "query", "schema": { "type": "string" } },
                  { "name": "loyalty_id", "in": "query", "schema": { "type": "string" } },
                  { "name": "cookie_id", "in": "query", "schema": { "type": "string" } },
                  { "name": "device_id", "in": "query", "schema": { "type": "string" } },
                  { "$ref": "#/components/parameters/as_of" }, { "$ref": "#/components/parameters/min_seq" }],
                "responses": { "200": { "description": "The profile.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/GetProfileResponse" } } } },
                  "default": { "$ref": "#/components/responses/Error" } } }
            },
            "/api/v1/customers/{customer}/timeline": {
              "get": { "operationId": "getTimeline", "summary": "A customer's events, newest first, paged (GetTimeline).",
                "parameters": [{ "$ref": "#/components/parameters/customer" },
                  { "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 0, "maximum": 1000 }, "description": "Events per page; default 50." },
                  { "name": "page_token", "in": "query", "schema": { "type": "string" }, "description": "next_page_token of the previous page." },
                  { "name": "kind", "in": "query", "style": "form", "explode": true, "schema": { "type": "array", "items": { "type": "string",
                    "enum": ["customer_upserted", "order_placed", "order_status_changed", "web_event", "email_event", "ticket_event", "identity_linked", "identity_unlinked"] } },
                    "description": "Only these kinds (repeat the parameter for several)." },
                  { "name": "occurred_after", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "Only events at or after this time." },
                  { "name": "occurred_before", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "Only events before this time." }],
                "responses": { "200": { "description": "A page of events.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/GetTimelineResponse" } } } },
                  "default": { "$ref": "#/components/responses/Error" } } }
            },
            "/api/v1/segments": {
              "get": { "operationId": "listSegments", "summary": "The configured segments with their member counts.",
                "responses": { "200": { "description": "The segments.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SegmentList" } } } },
                  "default": { "$ref": "#/components/responses/Error" } } }
            },
            "/api/v1/segments/{segment}/members": {
              "get": { "operationId": "listSegmentMembers", "summary": "A segment's members, a page at a time (ListSegment).",
                "parameters": [{ "name": "segment", "in": "path", "required": true, "schema": { "type": "string" } },
                  { "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 0 }, "description": "Default 1,000." },
                  { "name": "page_token", "in": "query", "schema": { "type": "string" } }],
                "responses": { "200": { "description": "A page of members.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ListSegmentResponse" } } } },
                  "default": { "$ref": "#/components/responses/Error" } } }
            },
            "/api/v1/openapi.json": {
              "get": { "operationId": "openAPI", "summary": "This document.", "security": [],
                "responses": { "200": { "description": "The OpenAPI document.", "content": { "application/json": { "schema": { "type": "object" } } } } } }
            }
          }
        }
        """#
}
