"""A shop's PostgreSQL tables and a deterministic workload over them, and the figures c360's
profiles must show, computed by SQL over the same tables."""
import json
import random

SCHEMA = """
CREATE TABLE customers (id int PRIMARY KEY, email text, first_name text, last_name text, phone text, loyalty_tier text,
                        loyalty_points int, signup_date text, email_opt_in boolean, updated_at timestamp NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, channel text NOT NULL, store_id text, total numeric(12,2) NOT NULL,
                     currency text NOT NULL, status text NOT NULL DEFAULT 'placed', refunded numeric(12,2), items jsonb,
                     placed_at timestamptz NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE support_tickets (id text PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, category text, channel text,
                              csat int, updated_at timestamp NOT NULL);
"""

# What c360 must show per customer, from the tables alone, by the README's definitions: every
# order counts; an order not cancelled adds its total less its refund, never below zero; a ticket
# is open unless its latest status resolved it.
EXPECTED = """
SELECT json_agg(row_to_json(x) ORDER BY x.id) FROM (
  SELECT c.id, c.email, c.loyalty_tier,
    (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS total_orders,
    (SELECT coalesce(sum(greatest(0, o.total - coalesce(o.refunded, 0)) * 100) FILTER (WHERE o.status <> 'cancelled'), 0)::bigint
       FROM orders o WHERE o.customer_id = c.id) AS lifetime_minor,
    (SELECT count(*) FROM orders o WHERE o.customer_id = c.id AND o.status = 'cancelled') AS cancelled_orders,
    (SELECT count(*) FROM orders o WHERE o.customer_id = c.id AND o.status = 'returned') AS returned_orders,
    (SELECT count(*) FROM support_tickets t WHERE t.customer_id = c.id AND t.status <> 'resolved') AS open_tickets,
    (SELECT count(*) FROM support_tickets t WHERE t.customer_id = c.id) AS total_tickets
  FROM customers c) x
"""

TIERS = ["none", "bronze", "silver", "gold"]
PRODUCTS = [("K-1", "Knit Jumper", "knitwear", 42.99), ("T-2", "Linen Tee", "tops", 18.50), ("B-3", "Canvas Bag", "bags", 25.00)]


class Shop:
    """Rows and transactions of a small shop, the same for the same seed. Each order is refunded
    at most once, in the change that returns it, and not changed after it is cancelled or
    returned: the mapping reads `refunded` as the money given back with that change."""

    def __init__(self, seed=1):
        self.random = random.Random(seed)
        self.customers = 0
        self.orders = {}  # id -> (customer, status)
        self.tickets = {}  # id -> status
        self.clock = 0

    def tick(self):
        self.clock += 1
        return f"'2026-06-01 00:00:00'::timestamp + interval '{self.clock} seconds'"

    def new_customer(self):
        self.customers += 1
        c = self.customers
        tier = self.random.choice(TIERS)
        return (f"INSERT INTO customers VALUES ({c}, 'c{c}@example.com', 'First{c}', 'Last{c}', NULL, '{tier}', {self.random.randrange(1000)}, "
                f"'2026-01-02', {self.random.choice(['true', 'false'])}, {self.tick()});")

    def new_order(self):
        order = len(self.orders) + 1
        customer = self.random.randrange(1, self.customers + 1)
        sku, name, category, price = self.random.choice(PRODUCTS)
        quantity = self.random.randrange(1, 4)
        items = json.dumps([{"sku": sku, "name": name, "category": category, "qty": quantity, "unit_price": price}])
        self.orders[order] = (customer, "placed")
        channel = self.random.choice(["web", "store", "app"])
        return (f"INSERT INTO orders VALUES ({order}, {customer}, '{channel}', NULL, {price * quantity:.2f}, 'GBP', 'placed', NULL, "
                f"'{items}', '2026-05-01 00:00:00+00'::timestamptz + interval '{self.clock} seconds', {self.tick()});")

    def change_order(self):
        open_orders = [o for o, (_, status) in self.orders.items() if status in ("placed", "shipped", "delivered")]
        if not open_orders:
            return self.new_order()
        order = self.random.choice(open_orders)
        customer, status = self.orders[order]
        following = {"placed": ["shipped", "cancelled"], "shipped": ["delivered"], "delivered": ["returned"]}[status]
        new = self.random.choice(following)
        self.orders[order] = (customer, new)
        refund = ", refunded = total - 1" if new == "returned" and self.random.random() < 0.7 else ""
        return f"UPDATE orders SET status = '{new}'{refund}, updated_at = {self.tick()} WHERE id = {order};"

    def ticket(self):
        if self.tickets and self.random.random() < 0.6:
            ticket = self.random.choice(list(self.tickets))
            status = self.random.choice(["escalated", "resolved", "reopened"])
            self.tickets[ticket] = status
            return f"UPDATE support_tickets SET status = '{status}', updated_at = {self.tick()} WHERE id = '{ticket}';"
        ticket = f"T-{len(self.tickets) + 1}"
        self.tickets[ticket] = "open"
        customer = self.random.randrange(1, self.customers + 1)
        return (f"INSERT INTO support_tickets VALUES ('{ticket}', {customer}, 'open', 'delivery', 'chat', NULL, {self.tick()});")

    def change_customer(self):
        customer = self.random.randrange(1, self.customers + 1)
        return f"UPDATE customers SET loyalty_tier = '{self.random.choice(TIERS)}', updated_at = {self.tick()} WHERE id = {customer};"

    def initial(self, customers, orders, tickets):
        """The rows before c360 first starts, as one script."""
        statements = [self.new_customer() for _ in range(customers)]
        statements += [self.new_order() for _ in range(orders)]
        statements += [self.change_order() for _ in range(orders // 3)]
        statements += [self.ticket() for _ in range(tickets)]
        return "BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;\n"

    def transactions(self, count):
        """`count` transactions of 1 to 4 changes each, as one script."""
        script = []
        for _ in range(count):
            changes = [self.random.choice([self.new_order, self.change_order, self.change_order, self.ticket, self.change_customer])()
                       for _ in range(self.random.randrange(1, 5))]
            if self.random.random() < 0.05:
                changes.insert(0, self.new_customer())
            script.append("BEGIN;\n" + "\n".join(changes) + "\nCOMMIT;")
        return "\n".join(script) + "\n"


def expected(postgres, database):
    return {row["id"]: row for row in json.loads(postgres.psql(EXPECTED, database) or "[]")}


def observed(profile):
    """The same figures from a profile in the JSON API's form (zero values left out)."""
    purchases, support, details = profile.get("purchases", {}), profile.get("support", {}), profile.get("details", {})
    lifetime = sum(int(m["minor_units"]) for m in purchases.get("lifetime_value", []) if m["currency"] == "GBP")
    tier = details.get("loyalty_tier", "LOYALTY_TIER_UNSPECIFIED").removeprefix("LOYALTY_TIER_").lower()
    return {"email": details.get("email"), "loyalty_tier": None if tier == "unspecified" else tier,
            "total_orders": int(purchases.get("total_orders", 0)), "lifetime_minor": lifetime,
            "cancelled_orders": int(purchases.get("cancelled_orders", 0)), "returned_orders": int(purchases.get("returned_orders", 0)),
            "open_tickets": int(support.get("open_tickets", 0)), "total_tickets": int(support.get("total_tickets", 0))}
