package dev.backendlabs.outbox;

import java.util.UUID;

/** An order as the shop places it; its {@code OrderPlaced} event carries the same fields. */
public record Order(UUID id, String customerId, long amountCents) {

    public static Order create(String customerId, long amountCents) {
        return new Order(UUID.randomUUID(), customerId, amountCents);
    }
}
