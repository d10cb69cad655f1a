connect(sock , (struct sockaddr*) &serv_addr , sizeof(serv_addr));
held = 0;
while(fgets(message , BUF_SIZE , stdin) != NULL) {
        len = htonl(strlen(message));
        memcpy(frame , &len , 4);
        memcpy(frame + 4 , message , strlen(message));
        write(sock , frame , 4 + strlen(message));
        while(held < 4 || held < 4 + ntohl(*(uint32_t*) held_buf)) {
                recv_cnt = read(sock , buf , BUF_SIZE);
                if(recv_cnt == 0) errorHandling("closed mid-message");
                memcpy(&held_buf[held] , buf , recv_cnt);
                held += recv_cnt;
        }
        frame_len = 4 + ntohl(*(uint32_t*) held_buf);
        printf("Message from server : %.*s" , frame_len - 4 , held_buf + 4);
        memmove(held_buf , held_buf + frame_len , held - frame_len);
        held -= frame_len;
}
close(sock);
