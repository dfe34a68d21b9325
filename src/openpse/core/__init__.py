"""Country-neutral building blocks: money, words, time, errors, safe XML, secrets."""
