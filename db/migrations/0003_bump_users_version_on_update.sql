-- Custom migration (drizzle-kit generate --custom): drizzle-kit cannot express triggers. OR REPLACE, so a re-run
-- after a partial failure (the HTTP migrator runs each statement on its own) succeeds.
-- Every UPDATE of a users row adds one to its version, the source of the row's ETag, whoever runs it: the API's
-- writes, the account queries, an operator's hand-typed fix. See docs/decisions/0015-conditional-requests.md.
CREATE OR REPLACE FUNCTION "users_bump_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.version := OLD.version + 1;
	RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "users_bump_version" BEFORE UPDATE ON "users" FOR EACH ROW EXECUTE FUNCTION "users_bump_version"();
