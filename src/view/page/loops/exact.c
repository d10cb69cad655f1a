connect(sock , (struct sockaddr*) &serv_addr , sizeof(serv_addr));
while(fgets(message , BUF_SIZE , stdin) != NULL) {
        str_len = write(sock , message , strlen(message));
        recv_len = 0;
        while(recv_len < str_len) {
                want = str_len - recv_len;
                if(want > BUF_SIZE) want = BUF_SIZE;
                recv_cnt = read(sock , buf , want);
                if(recv_cnt == 0) errorHandling("closed mid-message");
                memcpy(&reply[recv_len] , buf , recv_cnt);
                recv_len += recv_cnt;
        }
        printf("Message from server : %.*s" , recv_len , reply);
}
close(sock);
